/** "Did you mean …" for a misspelt configuration key, stack name or file key. */

/** Edits (insert, delete, substitute, swap two neighbours) between two names, ignoring case. */
export function editDistance(a: string, b: string): number {
    const s = a.toLowerCase();
    const t = b.toLowerCase();
    // d[i][j]: edits between the first i characters of s and the first j of t.
    const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= s.length; i++) {
        for (let j = 1; j <= t.length; j++) {
            const cost = s[i - 1] === t[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[s.length][t.length];
}

/**
 * The candidates a name was probably meant to be, closest first: those a few edits away (a third of the
 * name's length, at least one), or, when none is, those that contain the name or are contained in it
 * (`vpcId` → `existingVpcId`; but `instancetype` → `instanceType` alone, not `gatewayInstanceType` too).
 */
export function closestNames(name: string, candidates: readonly string[], limit = 3): string[] {
    const lower = name.toLowerCase();
    const allowed = Math.max(1, Math.floor(name.length / 3));
    const scored = candidates
        .filter((candidate) => candidate !== name)
        .map((candidate) => {
            const other = candidate.toLowerCase();
            const contains = lower.length >= 4 && (other.includes(lower) || lower.includes(other));
            const distance = editDistance(name, candidate);
            return { candidate, distance, typo: distance <= allowed, contains };
        });
    const typos = scored.some((c) => c.typo);
    return scored
        .filter((c) => (typos ? c.typo : c.contains))
        .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
        .slice(0, limit)
        .map((c) => c.candidate);
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(names: readonly string[]): string {
    return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}
