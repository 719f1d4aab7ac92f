//! The page's inline style sheet. Response colours are CSS variables set by the response
//! class (`.r-partial { --c: ... }`), so bars, lines, swatches and badges share them.

use std::fmt::{self, Write};

use crate::response_class::ResponseClass;

const BASE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header,main,footer,nav{max-width:1000px;margin:0 auto;padding:0 16px}
header{border-bottom:2px solid #1b1b1b;padding-bottom:8px}
h1{font-size:26px;margin:16px 0 4px}h2{font-size:20px;margin:28px 0 8px;border-bottom:1px solid #ccc}
h3{font-size:16px;margin:16px 0 4px}h4{font-size:14px;margin:12px 0 4px}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
table{border-collapse:collapse;margin:6px 0;font-size:13px}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.meta{color:#555}.none{color:#555;font-style:italic}
.badge{display:inline-block;padding:0 5px;border-radius:3px;background:var(--c,#eee);color:#000}
figure{margin:12px 0}figcaption{color:#333;font-size:13px;margin-top:4px}
svg.plot{max-width:100%;height:auto;font-size:11px;background:#fff}
svg .grid{stroke:#e5e5e5}svg .domain{stroke:#333}svg .zero{stroke:#333}
svg .reference{stroke:#333;stroke-dasharray:5 4}svg .reference-label{fill:#333}
svg .axis-title{font-size:12px}svg .tick{fill:#333}
svg .bar,svg .lane,svg .swatch,svg .point{fill:var(--c)}svg .bar,svg .lane{shape-rendering:crispEdges}
svg .line{fill:none;stroke:var(--c);stroke-width:1.5;stroke-linejoin:round;opacity:.85}
svg.dense .line{stroke-width:.7;opacity:.45}
svg .mark-response{fill:#000}svg .mark-progression{fill:#a00;stroke:#fff;stroke-width:.5}
svg .mark-unconfirmed{fill:#fff;stroke:#000;stroke-width:1.2}
ul.rules{margin:0;padding-left:16px}ul.rules code{font-size:12px;color:#444}
section.subject{border-top:1px solid #ddd}details>summary{cursor:pointer;color:#0645ad}
.trail td:nth-child(2),.trail td:nth-child(n+7):nth-child(-n+10){text-align:right;white-space:nowrap}
.trail td[class]{background:var(--c)}
";

pub fn write_style(out: &mut String) -> fmt::Result {
    out.push_str("<style>\n");
    out.push_str(BASE);
    for class in ResponseClass::ALL {
        writeln!(out, ".{}{{--c:{}}}", class.css(), class.colour())?;
    }
    out.push_str("</style>\n");
    Ok(())
}
