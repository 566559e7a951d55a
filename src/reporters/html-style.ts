// The report's stylesheet, inlined into report.html. Screen: cards with
// passes collapsed. Print (A4): everything expanded, sections on new pages,
// no card or exchange split across pages when it fits on one.
export const REPORT_CSS = `
:root { --pass:#1a7f37; --fail:#cf222e; --error:#9a6700; --skip:#6e7781; --ink:#1f2328; --muted:#57606a; --line:#d0d7de; --soft:#f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1040px; margin: 0 auto; padding: 0 24px 48px; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
h1, h2, h3 { line-height: 1.25; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; }
a { color: #0969da; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { font-weight: 600; color: var(--muted); white-space: nowrap; }
.banner { color: #fff; padding: 28px 24px 22px; }
.banner .inner { max-width: 1040px; margin: 0 auto; padding: 0 24px; }
.banner.v-pass { background: var(--pass); } .banner.v-fail { background: var(--fail); } .banner.v-error { background: var(--error); }
.banner .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; opacity: .9; }
.banner h1 { font-size: 34px; margin: 4px 0 6px; }
.banner p { margin: 4px 0; font-size: 15px; }
.banner .counts span { display: inline-block; margin-right: 14px; }
.banner .warning { margin-top: 10px; padding: 8px 12px; background: rgba(0,0,0,.25); border-radius: 6px; font-weight: 600; }
.facts { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0 24px; margin: 16px 0 0; }
@media (max-width: 800px) { .facts { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.facts div { padding: 8px 0; border-bottom: 1px solid var(--line); }
.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.facts dd { margin: 2px 0 0; font-weight: 600; overflow-wrap: anywhere; }
.facts dd small { display: block; font-weight: 400; color: var(--muted); }
.profiles td, .profiles th { font-size: 13px; }
.profiles td { overflow-wrap: anywhere; }
.notes { color: var(--muted); font-size: 13px; }
.badge { display: inline-block; white-space: nowrap; min-width: 52px; text-align: center; padding: 1px 8px; border-radius: 12px; font-size: 12px; font-weight: 700; color: #fff; letter-spacing: .03em; }
.badge.v-pass { background: var(--pass); } .badge.v-fail { background: var(--fail); } .badge.v-error { background: var(--error); } .badge.v-skip { background: var(--skip); }
.badge.s-met { background: var(--pass); } .badge.s-declared-not-observed { background: #9a6700; } .badge.s-not-met { background: var(--fail); } .badge.s-not-verified { background: var(--error); } .badge.s-not-covered { background: var(--skip); } .badge.s-recorded { background: #0969da; }
.chip { display: inline-block; padding: 0 7px; margin: 1px 2px 1px 0; border: 1px solid var(--line); border-radius: 10px; font-size: 12px; color: var(--muted); background: #fff; white-space: nowrap; }
.chip.sev-critical { border-color: var(--fail); color: var(--fail); font-weight: 600; } .chip.sev-high { border-color: #bc4c00; color: #bc4c00; }
a.chip { text-decoration: none; }
a.chip.v-fail { color: var(--fail); border-color: var(--fail); } a.chip.v-error { color: var(--error); border-color: var(--error); } a.chip.v-pass { color: var(--pass); border-color: var(--pass); }
.practices td:first-child { font-weight: 600; white-space: nowrap; }
.practices .means { color: var(--muted); font-size: 13px; }
.toolbar { display: flex; gap: 8px; align-items: center; margin: 8px 0 12px; color: var(--muted); font-size: 13px; }
.toolbar button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); cursor: pointer; }
.group-title { margin: 22px 0 8px; font-size: 14px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
details.card { border: 1px solid var(--line); border-left: 5px solid var(--skip); border-radius: 6px; margin: 0 0 10px; background: #fff; }
@media screen { details.card { content-visibility: auto; contain-intrinsic-size: auto 66px; } }
details.card.v-pass { border-left-color: var(--pass); } details.card.v-fail { border-left-color: var(--fail); } details.card.v-error { border-left-color: var(--error); }
details.card > summary { list-style: none; cursor: pointer; padding: 10px 14px; display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; }
details.card > summary::-webkit-details-marker { display: none; }
details.card > summary::before { content: "▸"; color: var(--muted); width: 10px; }
details.card[open] > summary::before { content: "▾"; }
details.card > summary .title { font-weight: 600; }
details.card > summary .id { color: var(--muted); }
details.card > summary .msg { flex-basis: 100%; padding-left: 20px; color: var(--ink); overflow-wrap: anywhere; }
.card-body { padding: 0 16px 14px 34px; }
.card-body dl.ev { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 6px 0 10px; }
.card-body dl.ev dt { color: var(--muted); font-weight: 600; }
.card-body dl.ev dd { margin: 0; overflow-wrap: anywhere; }
.advisories { margin: 6px 0 10px; padding: 8px 12px 8px 28px; background: #fff8c5; border: 1px solid #d4a72c66; border-radius: 6px; }
.measurements { width: auto; min-width: 320px; margin: 6px 0 12px; }
.measurements td, .measurements th { padding: 3px 10px; font-size: 13px; }
.measurements td { font-variant-numeric: tabular-nums; }
.chart-box { margin: 8px 0 14px; }
.chart-box figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin: 0 4px 0 8px; vertical-align: middle; border: 1.5px solid transparent; }
.dot[data-c=grey] { background: #8c959f; } .dot[data-c=red] { background: #cf222e; } .dot[data-c=green] { background: #1a7f37; } .dot[data-c=orange] { background: #bc4c00; } .dot[data-c=hollow] { border-color: #8c959f; }
.chart { max-width: 100%; height: auto; display: block; }
.exchange { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; overflow: hidden; }
.exchange > summary { cursor: pointer; list-style: none; }
.exchange > summary::-webkit-details-marker { display: none; }
.exchange > summary::before { content: "▸"; color: var(--muted); }
.exchange[open] > summary::before { content: "▾"; }
.exchange .head { background: var(--soft); padding: 6px 10px; display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; overflow-wrap: anywhere; }
.exchange .label { font-weight: 600; }
.exchange.failing { border-color: var(--fail); } .exchange.failing .head { background: #ffebe9; }
.cleanup-alert { border: 2px solid var(--fail); border-radius: 8px; padding: 4px 16px 12px; margin: 16px 0; background: #fff8f7; }
.cleanup-alert h2 { color: var(--fail); }
.cleanup-alert pre { background: #0d1117; color: #e6edf3; padding: 8px 10px; border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.banner .reasons { margin: 6px 0 0; padding-left: 20px; }
.exchange .status { font-weight: 700; }
.exchange .status.ok { color: var(--pass); } .exchange .status.client { color: #bc4c00; } .exchange .status.server, .exchange .status.none { color: var(--fail); }
.exchange .timing { color: var(--muted); font-size: 12px; }
.exchange table.headers td, .exchange table.headers th { font-size: 12px; padding: 2px 10px; border: 0; }
.exchange table.headers th { width: 1%; }
.exchange table.headers td { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.exchange pre { margin: 0; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere; border-top: 1px solid var(--line); }
.exchange pre.curl { background: #0d1117; color: #e6edf3; }
.exchange .caption { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); padding: 4px 10px 0; border-top: 1px solid var(--line); }
.more { color: var(--muted); font-style: italic; }
.signoff table td { height: 44px; }
.signoff .blank { border-bottom: 1px solid var(--ink); min-width: 200px; }
.signoff .boxes span { display: inline-block; margin-right: 22px; }
.signoff .conditions { height: 90px; border: 1px solid var(--line); border-radius: 6px; padding: 8px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print {
  @page { size: A4; margin: 14mm 12mm 16mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; padding: 16px 0; }
  .badge, .exchange pre.curl, .cleanup-alert pre, .chip, details.card, .advisories { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .toolbar { display: none !important; }
  h2 { break-after: avoid; }
  #practices, #checks, #signoff { break-before: page; }
  details.card { break-inside: avoid; }
  details.card > summary::before, .exchange > summary::before { content: none; }
  details::details-content { content-visibility: visible !important; display: block !important; }
  .exchange, .chart-box, .signoff { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;
