import type { CostEstimate } from "./monthlyCost";

/** The cost estimate as Markdown (build/render/<stack>/cost.md and the review comment). */

/** What no line prices: usage the render cannot see. */
export const NOT_INCLUDED =
    "data transfer out to the internet and between zones, EFS throughput and backups, RDS I/O above the gp3 baseline, " +
    "API request charges, CPU credits of burstable instances above their baseline, taxes";

export function usd(amount: number): string {
    return `$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function quantity(n: number, unit: string): string {
    return `${n.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${unit}`;
}

/** "$123.45 a month", or "at least …" when some items have no price. */
export function totalText(estimate: CostEstimate): string {
    return `${estimate.unpriced.length > 0 ? "at least " : ""}${usd(estimate.totalUsd)} a month`;
}

export function costMarkdown(stack: string, estimate: CostEstimate, headingLevel = 2): string {
    const rows = estimate.lines.map((l) =>
        [
            l.item,
            quantity(l.quantity, l.unit),
            l.unitPriceUsd === undefined ? "no price" : `$${l.unitPriceUsd}`,
            l.monthlyUsd === undefined ? "no price" : usd(l.monthlyUsd),
            l.note ?? "",
        ].join(" | "),
    );
    return [
        `${"#".repeat(headingLevel)} Monthly cost: ${stack} (${estimate.region})`,
        "",
        `About **${totalText(estimate)}** on demand, ${estimate.currency}, at the prices recorded on ${estimate.recorded} in \`lib/review/prices.json\`.`,
        ...(estimate.unpriced.length > 0 ? ["", `No price for: ${estimate.unpriced.join(", ")} (left out of the total).`] : []),
        "",
        "| item | quantity | unit price | per month | assumption |",
        "|---|---:|---:|---:|---|",
        ...rows.map((r) => `| ${r} |`),
        `| **total** | | | **${usd(estimate.totalUsd)}** | |`,
        "",
        `Not included: ${NOT_INCLUDED}.`,
        "",
    ].join("\n");
}

/** The lines whose monthly amount differs between two estimates, and the change of the total. */
export function costDeltaMarkdown(base: CostEstimate | undefined, head: CostEstimate): string {
    const before = new Map((base?.lines ?? []).map((l) => [l.item, l]));
    const after = new Map(head.lines.map((l) => [l.item, l]));
    const items = [...new Set([...before.keys(), ...after.keys()])];
    const amount = (l: { monthlyUsd?: number } | undefined) => (l === undefined ? "—" : l.monthlyUsd === undefined ? "no price" : usd(l.monthlyUsd));
    const changed = items.filter((item) => amount(before.get(item)) !== amount(after.get(item)) || before.get(item)?.quantity !== after.get(item)?.quantity);
    const delta = head.totalUsd - (base?.totalUsd ?? 0);
    const sign = delta > 0 ? "+" : delta < 0 ? "−" : "±";
    const lines = [
        `**${base ? usd(base.totalUsd) : "nothing"} → ${usd(head.totalUsd)} a month** (${sign}${usd(Math.abs(delta))}), ${head.region}, prices of ${head.recorded}.`,
    ];
    if (changed.length > 0) {
        lines.push("", "| item | before | after | change |", "|---|---:|---:|---:|");
        for (const item of changed) {
            const b = before.get(item)?.monthlyUsd ?? 0;
            const a = after.get(item)?.monthlyUsd ?? 0;
            const d = a - b;
            lines.push(`| ${item} | ${amount(before.get(item))} | ${amount(after.get(item))} | ${d === 0 ? "" : `${d > 0 ? "+" : "−"}${usd(Math.abs(d))}`} |`);
        }
    }
    if (head.unpriced.length > 0) lines.push("", `No price for: ${head.unpriced.join(", ")}.`);
    return lines.join("\n") + "\n";
}
