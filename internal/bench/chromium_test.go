package bench

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestChartInChromium renders the chart in headless Chromium and checks that the
// screenshot shows something: a fair share of pixels differ from the white background,
// and some are the dark grey of the cgo-off bars. It runs with GONATIVE_INTEGRATION=1.
func TestChartInChromium(t *testing.T) {
	if os.Getenv("GONATIVE_INTEGRATION") != "1" {
		t.Skip("set GONATIVE_INTEGRATION=1 to render the chart in Chromium")
	}
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH (Debian: apt-get install chromium)")
	}
	dir := t.TempDir()
	svg := filepath.Join(dir, "chart.svg")
	r := sampleResult()
	if err := os.WriteFile(svg, r.SVG(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "chart.png")
	height := int(svgHeaderH + 3*svgPanelH + 30)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size="+strconv.Itoa(svgWidth)+","+strconv.Itoa(height),
		"--screenshot="+shot, "file://"+svg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	var ink, bar, total int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r>>8 < 240 || g>>8 < 240 || bl>>8 < 240 {
				ink++
			}
			if d := int(r>>8) - 0x55; d > -8 && d < 8 && r == g && g == bl {
				bar++
			}
		}
	}
	t.Logf("%dx%d screenshot: %d of %d pixels drawn, %d bar grey", b.Dx(), b.Dy(), ink, total, bar)
	if ink < total/20 {
		t.Errorf("the screenshot is (nearly) blank: %d of %d pixels differ from the background", ink, total)
	}
	if bar < 1000 {
		t.Errorf("only %d pixels of the cgo-off bars' grey: were the bars drawn?", bar)
	}
}
