import { PolicyPack } from "@pulumi/policy";
import { CHECKLIST } from "./rules";
import { pulumiPolicy } from "./policies";

// `pulumi preview --policy-pack policy`: the CLI runs this file from this folder (PulumiPolicy.yaml,
// package.json for the pack's version).
new PolicyPack("wso2-apim-ha-security", {
    description: "The wso2-apim-ha security checklist: every policy names its checklist row and its checkov, trivy and Security Hub ids",
    enforcementLevel: "mandatory",
    policies: CHECKLIST.map(pulumiPolicy),
});
