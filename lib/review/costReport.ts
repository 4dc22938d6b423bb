import type { CostEstimate, CostLine } from "./monthlyCost";

/** The cost estimate as Markdown (build/render/<stack>/cost.md and the review comment). */

/** What no line prices: usage the render cannot see. */
export const NOT_INCLUDED =
    "data transfer out to the internet and between zones, EFS throughput and backups, RDS I/O above the gp3 baseline, " +
    "API request charges, CPU credits of burstable instances above their baseline, taxes";

export function usd(amount: number): string {
    return `$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

const number = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 2 });

/** "1,460 h", or "1,460–4,380 h" for an Auto Scaling group's range. */
function quantity(l: CostLine): string {
    return `${number(l.quantity)}${l.maxQuantity === undefined ? "" : `–${number(l.maxQuantity)}`} ${l.unit}`;
}

/** A line's monthly amount: "$140.16", "$140.16–$420.48" for a range, or "no price". */
function amount(l: CostLine): string {
    if (l.monthlyUsd === undefined) return "no price";
    return l.maxMonthlyUsd === undefined ? usd(l.monthlyUsd) : `${usd(l.monthlyUsd)}–${usd(l.maxMonthlyUsd)}`;
}

/** The maximum beside a total, when Auto Scaling groups can grow: " (up to $1,234.56 with the Auto Scaling groups at their maximum)". */
function maximumText(estimate: CostEstimate): string {
    return estimate.maxTotalUsd === undefined ? "" : ` (up to ${usd(estimate.maxTotalUsd)} with the Auto Scaling groups at their maximum)`;
}

/** "$123.45 a month", or "at least …" when some items have no price; the maximum follows where groups can grow. */
export function totalText(estimate: CostEstimate): string {
    return `${estimate.unpriced.length > 0 ? "at least " : ""}${usd(estimate.totalUsd)} a month${maximumText(estimate)}`;
}

export function costMarkdown(stack: string, estimate: CostEstimate, headingLevel = 2): string {
    const rows = estimate.lines.map((l) =>
        [l.item, quantity(l), l.unitPriceUsd === undefined ? "no price" : `$${l.unitPriceUsd}`, amount(l), l.note ?? ""].join(" | "),
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
        `| **total** | | | **${usd(estimate.totalUsd)}**${estimate.maxTotalUsd === undefined ? "" : ` (up to ${usd(estimate.maxTotalUsd)})`} | ${
            estimate.maxTotalUsd === undefined ? "" : "Auto Scaling groups at their minimum; in brackets, at their maximum"
        } |`,
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
    const shown = (l: CostLine | undefined) => (l === undefined ? "—" : amount(l));
    const changed = items.filter(
        (item) =>
            shown(before.get(item)) !== shown(after.get(item)) ||
            before.get(item)?.quantity !== after.get(item)?.quantity ||
            before.get(item)?.maxQuantity !== after.get(item)?.maxQuantity,
    );
    const delta = head.totalUsd - (base?.totalUsd ?? 0);
    const sign = delta > 0 ? "+" : delta < 0 ? "−" : "±";
    const lines = [
        `**${base ? usd(base.totalUsd) : "nothing"} → ${usd(head.totalUsd)} a month** (${sign}${usd(Math.abs(delta))})${maximumText(head)}, ${head.region}, prices of ${head.recorded}.`,
    ];
    if (changed.length > 0) {
        lines.push("", "| item | before | after | change |", "|---|---:|---:|---:|");
        for (const item of changed) {
            const b = before.get(item)?.monthlyUsd ?? 0;
            const a = after.get(item)?.monthlyUsd ?? 0;
            const d = a - b;
            // Beside the minimum's change, the maximum's where it differs (a group's new size range).
            const maxOf = (l: CostLine | undefined) => l?.maxMonthlyUsd ?? l?.monthlyUsd ?? 0;
            const dMax = maxOf(after.get(item)) - maxOf(before.get(item));
            const signed = (n: number) => `${n > 0 ? "+" : "−"}${usd(Math.abs(n))}`;
            // Under half a cent shows as no change (a few bytes of a small object).
            const none = (n: number) => Math.abs(n) < 0.005;
            const change = [none(d) ? "" : signed(d), none(dMax - d) ? "" : `${none(d) ? "" : " "}(at most ${signed(dMax)})`].join("");
            lines.push(`| ${item} | ${shown(before.get(item))} | ${shown(after.get(item))} | ${change} |`);
        }
    }
    if (head.unpriced.length > 0) lines.push("", `No price for: ${head.unpriced.join(", ")}.`);
    return lines.join("\n") + "\n";
}
