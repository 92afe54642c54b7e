package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SVG geometry: every panel plots two horizontal bars on an axis from zero.
const (
	svgWidth   = 900
	svgPlotX0  = 190.0 // the axis' zero: room for a bar's label ("glibc resolver (netdns=cgo)")
	svgPlotW   = 480.0
	svgBarH    = 18.0
	svgPanelH  = 96.0
	svgHeaderH = 112.0
)

// svgPanel is one chart panel.
type svgPanel struct {
	id, title, unit string
	off, on         Stat
	// offLabel and onLabel name the bars: the builds, or what ran in them.
	offLabel, onLabel string
	whiskers          bool
	delta, note       string
	aside             string  // a small note right of the axis (the DNS panel's resolver left to choose)
	p                 float64 // the comparison's p-value; shown with whiskers
}

// SVG draws the result as a self-contained SVG chart: one panel per metric (binary
// size first), a bar per build at its median with a whisker for the 95% confidence
// interval (or the range, as the legend says, when there were too few samples), every
// axis starting at zero. Builds are told apart by fill pattern and by label, not by
// colour alone. Every bar carries data-metric, data-build and data-value attributes.
func (r *Result) SVG() []byte {
	var panels []svgPanel
	if r.Size != nil {
		panels = append(panels, svgPanel{id: "size", title: "binary size", unit: "MiB",
			off: exact(float64(r.Size.Off) / (1 << 20)), on: exact(float64(r.Size.On) / (1 << 20)),
			offLabel: "CGO_ENABLED=0", onLabel: "CGO_ENABLED=1",
			delta: pct(float64(r.Size.Off), float64(r.Size.On))})
	}
	for _, m := range r.Metrics {
		p := svgPanel{id: m.ID, title: m.Name, unit: m.Unit, off: m.Off, on: m.On, whiskers: true,
			offLabel: "CGO_ENABLED=0", onLabel: "CGO_ENABLED=1",
			delta: m.Delta, p: m.P, note: m.Better + " is better"}
		if m.OffLabel != "" && m.OnLabel != "" {
			p.offLabel, p.onLabel = m.OffLabel, m.OnLabel
		}
		p.aside = m.Note
		panels = append(panels, p)
	}
	height := svgHeaderH + float64(len(panels))*svgPanelH + 30
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		svgWidth, height, svgWidth, height)
	title := fmt.Sprintf("gonative bench cgo %s (%s, %s)", r.Package, r.Workload, r.Target)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(title))
	b.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
		`<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1f4e79" stroke-width="3"/></pattern></defs>` + "\n")
	b.WriteString(`<rect width="100%" height="100%" fill="#ffffff"/>` + "\n")
	fmt.Fprintf(&b, `<text x="12" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", esc(title))
	sub := fmt.Sprintf("%s, %d samples per build after %d warm-up, alternating; %d CPUs", r.Machine.GoVersion, r.Count, r.Warmup, r.Machine.CPUs)
	if l := r.Machine.LoadBefore; l.Known {
		sub += fmt.Sprintf(", load %.2f", l.Load1)
	}
	if r.Emulated {
		sub += "; EMULATED under " + r.Runner
	}
	fmt.Fprintf(&b, `<text x="12" y="40">%s</text>`+"\n", esc(sub))
	if m := r.Machine; m.Busy() {
		after := "unknown"
		if m.LoadAfter.Known {
			after = fmt.Sprintf("%.2f", m.LoadAfter.Load1)
		}
		w := fmt.Sprintf("busy machine: load %.2f on %d CPUs before the runs (%s after): expect wide intervals", m.LoadBefore.Load1, m.CPUs, after)
		fmt.Fprintf(&b, `<text class="busy" x="12" y="58" fill="#c00000" font-weight="bold">%s</text>`+"\n", esc(w))
	}
	// Legend.
	fmt.Fprintf(&b, `<rect x="12" y="68" width="28" height="12" fill="#555555" stroke="#000000"/><text x="46" y="78">CGO_ENABLED=0 (solid)</text>`+"\n")
	fmt.Fprintf(&b, `<rect x="220" y="68" width="28" height="12" fill="url(#hatch)" stroke="#000000"/><text x="254" y="78">CGO_ENABLED=1 (hatched)</text>`+"\n")
	fmt.Fprintf(&b, `<text x="440" y="78">bar: median of n samples; whisker: 95%% CI (range when n &lt; 6)</text>`+"\n")
	fmt.Fprintf(&b, `<text class="legend-tilde" x="12" y="96">~: no significant difference between the builds (Mann-Whitney U test, p &gt; 0.05); every axis starts at 0</text>`+"\n")
	for i, p := range panels {
		y := svgHeaderH + float64(i)*svgPanelH
		writePanel(&b, p, y)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func exact(v float64) Stat {
	return Stat{N: 1, Median: v, Min: v, Max: v, Lo: v, Hi: v, CI: true, Values: []float64{v}}
}

func pct(old, new float64) string {
	if old == 0 {
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", (new/old-1)*100)
}

func writePanel(b *bytes.Buffer, p svgPanel, y float64) {
	top := max(p.off.Median, p.on.Median)
	if p.whiskers {
		top = max(top, p.off.Hi, p.on.Hi)
	}
	axisMax, step := niceAxis(top)
	delta := p.delta
	if p.whiskers && delta != "?" {
		delta += fmt.Sprintf(" (p=%.3f)", p.p)
	}
	head := fmt.Sprintf("%s (%s) · cgo on vs off: %s", p.title, p.unit, delta)
	if p.note != "" {
		head += " · " + p.note
	}
	fmt.Fprintf(b, `<g data-metric="%s" data-axis-min="0" data-axis-max="%s" data-plot-x="%g" data-plot-width="%g">`+"\n",
		esc(p.id), num(axisMax), svgPlotX0, svgPlotW)
	fmt.Fprintf(b, `<text x="12" y="%.1f" font-weight="bold">%s</text>`+"\n", y+14, esc(head))
	// Grid and axis ticks, from zero.
	axisY := y + 22 + 2*svgBarH + 12
	for v := 0.0; v <= axisMax*(1+1e-9); v += step {
		x := svgPlotX0 + v/axisMax*svgPlotW
		fmt.Fprintf(b, `<line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f" stroke="#dddddd"/>`, x, y+20, x, axisY)
		fmt.Fprintf(b, `<text class="tick" x="%.2f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n", x, axisY+12, esc(num(v)))
	}
	fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#000000"/>`, svgPlotX0, axisY, svgPlotX0+svgPlotW, axisY)
	fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#000000"/>`+"\n", svgPlotX0, y+20, svgPlotX0, axisY)
	for j, s := range []struct {
		build, label, fill string
		st                 Stat
	}{{"cgo_off", p.offLabel, "#555555", p.off}, {"cgo_on", p.onLabel, "url(#hatch)", p.on}} {
		by := y + 24 + float64(j)*(svgBarH+4)
		w := s.st.Median / axisMax * svgPlotW
		if axisMax == 0 || math.IsNaN(w) {
			w = 0
		}
		fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end">%s</text>`, svgPlotX0-6, by+13, esc(s.label))
		fmt.Fprintf(b, `<rect class="bar" data-metric="%s" data-build="%s" data-value="%s" x="%g" y="%.1f" width="%.3f" height="%g" fill="%s" stroke="#000000"/>`,
			esc(p.id), s.build, num(s.st.Median), svgPlotX0, by, w, svgBarH, s.fill)
		end := svgPlotX0 + w
		if p.whiskers && s.st.N > 0 {
			lo := svgPlotX0 + s.st.Lo/axisMax*svgPlotW
			hi := svgPlotX0 + s.st.Hi/axisMax*svgPlotW
			cy := by + svgBarH/2
			fmt.Fprintf(b, `<g class="whisker" data-lo="%s" data-hi="%s" stroke="#c00000" stroke-width="1.5"><line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f"/><line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f"/><line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f"/></g>`,
				num(s.st.Lo), num(s.st.Hi), lo, cy, hi, cy, lo, cy-5, lo, cy+5, hi, cy-5, hi, cy+5)
			end = max(end, hi)
		}
		label := num(s.st.Median)
		if p.whiskers && s.st.N > 0 {
			label += fmt.Sprintf(" [%s, %s]", num(s.st.Lo), num(s.st.Hi))
			if !s.st.CI {
				label += " range"
			}
			label += fmt.Sprintf(" n=%d", s.st.N)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", end+6, by+13, esc(label))
	}
	if p.aside != "" {
		fmt.Fprintf(b, `<text class="aside" x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", svgWidth-12, y+14, esc(p.aside))
	}
	b.WriteString("</g>\n")
}

// niceAxis returns an axis maximum at or above top and its tick step (1, 2, 2.5 or 5
// times a power of ten, four to five ticks).
func niceAxis(top float64) (axisMax, step float64) {
	if !(top > 0) || math.IsInf(top, 0) {
		return 1, 0.25
	}
	raw := top / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	return math.Ceil(top/step-1e-9) * step, step
}

// num formats a number with up to four significant digits.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	s := strconv.FormatFloat(v, 'g', 4, 64)
	if strings.Contains(s, "e") {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return s
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
