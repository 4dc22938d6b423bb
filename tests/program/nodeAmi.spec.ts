import { al2023AmiNamePattern, amiArchitectureFor } from "../../lib/node/nodeAmi";

it.each([
    ["m6i.xlarge", "x86_64"], ["t3.large", "x86_64"], ["m7i-flex.xlarge", "x86_64"], ["c5n.2xlarge", "x86_64"], ["g5.xlarge", "x86_64"],
    ["m6g.xlarge", "arm64"], ["m7gd.xlarge", "arm64"], ["c6gn.large", "arm64"], ["r8g.large", "arm64"], ["t4g.medium", "arm64"], ["a1.large", "arm64"], ["g5g.xlarge", "arm64"],
])("%s runs %s images", (instanceType, architecture) => {
    expect(amiArchitectureFor(instanceType)).toBe(architecture);
});

it("looks up the standard Amazon Linux 2023 image, not the minimal or ECS ones", () => {
    const pattern = new RegExp(`^${al2023AmiNamePattern("arm64").replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`);
    expect(pattern.test("al2023-ami-2023.6.20250115.0-kernel-6.1-arm64")).toBe(true);
    expect(pattern.test("al2023-ami-minimal-2023.6.20250115.0-kernel-6.1-arm64")).toBe(false);
    expect(pattern.test("al2023-ami-ecs-hvm-2023.0.20250115-kernel-6.1-arm64")).toBe(false);
    expect(pattern.test("al2023-ami-2023.6.20250115.0-kernel-6.1-x86_64")).toBe(false);
});
