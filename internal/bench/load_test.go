package bench

import (
	"testing"
	"testing/fstest"

	"github.com/gonative/gonative/internal/machine"
)

func TestReadLoad(t *testing.T) {
	for _, tt := range []struct {
		name    string
		loadavg *fstest.MapFile
		want    LoadAvg
	}{
		{"linux", &fstest.MapFile{Data: []byte("1.50 0.75 0.25 2/345 6789\n")}, LoadAvg{Load1: 1.5, Load5: 0.75, Load15: 0.25, Known: true}},
		{"no /proc", nil, LoadAvg{}},
		{"garbled", &fstest.MapFile{Data: []byte("1.5 x\n")}, LoadAvg{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			if tt.loadavg != nil {
				fsys["proc/loadavg"] = tt.loadavg
			}
			if got := readLoad(machine.Fake(fsys, nil)); got != tt.want {
				t.Errorf("readLoad = %+v, want %+v", got, tt.want)
			}
		})
	}
}
