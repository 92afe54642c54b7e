// Command cgorepro compares two `gonative bench cgo --json` results of the same
// program: for every metric and build it prints both medians with their intervals and
// whether each median lies inside the other run's interval (reproducible within the
// reported confidence intervals). It exits 3 when one does not.
//
//	go run ./bench/cgorepro first.json second.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/gonative/gonative/internal/bench"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cgorepro FIRST.json SECOND.json")
		os.Exit(1)
	}
	var a, b bench.Result
	for i, r := range []*bench.Result{&a, &b} {
		data, err := os.ReadFile(os.Args[1+i])
		if err == nil {
			err = json.Unmarshal(data, r)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "cgorepro: %s: %v\n", os.Args[1+i], err)
			os.Exit(1)
		}
	}
	second := map[string]bench.Metric{}
	for _, m := range b.Metrics {
		second[m.ID] = m
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tbuild\tfirst median [lo, hi]\tsecond median [lo, hi]\twithin each other's CI")
	bad := 0
	for _, m := range a.Metrics {
		m2, ok := second[m.ID]
		if !ok {
			continue
		}
		for _, x := range []struct {
			build string
			s, t  bench.Stat
		}{{"cgo off", m.Off, m2.Off}, {"cgo on", m.On, m2.On}} {
			in := x.t.Median >= x.s.Lo && x.t.Median <= x.s.Hi && x.s.Median >= x.t.Lo && x.s.Median <= x.t.Hi
			verdict := "yes"
			if !in {
				verdict, bad = "NO", bad+1
			}
			if !x.s.CI || !x.t.CI {
				verdict += " (range, n<6)"
			}
			fmt.Fprintf(tw, "%s (%s)\t%s\t%.4g [%.4g, %.4g]\t%.4g [%.4g, %.4g]\t%s\n", m.Name, m.Unit, x.build,
				x.s.Median, x.s.Lo, x.s.Hi, x.t.Median, x.t.Lo, x.t.Hi, verdict)
		}
		fmt.Fprintf(tw, "\tdelta\t%s\t%s\t\n", m.Delta, m2.Delta)
	}
	tw.Flush()
	fmt.Printf("sizes: %d / %d bytes (cgo off / on) vs %d / %d\n", a.Size.Off, a.Size.On, b.Size.Off, b.Size.On)
	if bad > 0 {
		fmt.Printf("%d medians outside the other run's interval\n", bad)
		os.Exit(3)
	}
}
