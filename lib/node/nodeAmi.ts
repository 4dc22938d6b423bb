/** Amazon Linux 2023 AMI selection for the nodes. */

export type AmiArchitecture = "x86_64" | "arm64";

/** Graviton families carry a "g" after the generation digit (m7g, c6gn, r8gd, x2gd, im4gn); a1 is the first. */
export function amiArchitectureFor(instanceType: string): AmiArchitecture {
    const family = instanceType.split(".")[0];
    return family === "a1" || /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family) ? "arm64" : "x86_64";
}

/** The standard AL2023 image name (not minimal, not ECS-optimised), any release and kernel. */
export function al2023AmiNamePattern(architecture: AmiArchitecture): string {
    return `al2023-ami-2023.*-kernel-*-${architecture}`;
}
