import { APIM_VERSION_OUTPUT, apimVersionChangeWarning } from "../../lib/config/apimVersionChange";

describe("the preview warning about an API-M version change", () => {
    test("nothing to say on a first deployment, one from before the output, or the same version", () => {
        expect(apimVersionChangeWarning(undefined, "4.7.0")).toBeUndefined();
        expect(apimVersionChangeWarning({}, "4.7.0")).toBeUndefined();
        expect(apimVersionChangeWarning({ portalUrl: "https://api.example.com" }, "4.7.0")).toBeUndefined();
        expect(apimVersionChangeWarning({ [APIM_VERSION_OUTPUT]: 4.7 }, "4.7.0")).toBeUndefined();
        expect(apimVersionChangeWarning({ [APIM_VERSION_OUTPUT]: "4.7.0" }, "4.7.0")).toBeUndefined();
    });

    test("an upgrade names both versions, the migration it needs and what happens without it", () => {
        const warning = apimVersionChangeWarning({ [APIM_VERSION_OUTPUT]: "4.6.0" }, "4.7.0") ?? "";
        expect(warning).toMatch(/^apimVersion changes from 4\.6\.0 \(deployed\) to 4\.7\.0\./);
        expect(warning).toContain("WSO2's migration");
        expect(warning).toContain("docs/upgrading.md, \"Upgrading API-M\"");
        expect(warning).toContain("old nodes keep serving");
        expect(warning).not.toContain("\n");
    });

    test("a downgrade points to the snapshot from before the upgrade, comparing versions by number", () => {
        expect(apimVersionChangeWarning({ [APIM_VERSION_OUTPUT]: "4.7.0" }, "4.6.0")).toMatch(/^apimVersion goes back from 4\.7\.0 \(deployed\) to 4\.6\.0\. WSO2 has no downgrade.*restore the database snapshot/);
        expect(apimVersionChangeWarning({ [APIM_VERSION_OUTPUT]: "4.9.0" }, "4.10.0")).toMatch(/^apimVersion changes from 4\.9\.0/);
    });
});
