package bench

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// query builds a DNS query for name and type.
func query(id uint16, name string, qtype uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, 0x0100) // RD
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, 0, 0, 0, 0, 0, 0)
	for _, l := range bytes.Split([]byte(name), []byte(".")) {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, qtype)
	return binary.BigEndian.AppendUint16(b, dnsClassIN)
}

func TestDNSAnswer(t *testing.T) {
	addr := [4]byte{127, 0, 0, 2}
	for _, tt := range []struct {
		name    string
		msg     []byte
		rcode   int
		answers int
	}{
		{"A in zone", query(7, "h1.bench.test", dnsTypeA), 0, 1},
		{"A zone apex, upper case", query(8, "BENCH.test", dnsTypeA), 0, 1},
		{"AAAA in zone: no data", query(9, "h1.bench.test", dnsTypeAAAA), 0, 0},
		{"outside the zone", query(10, "example.com", dnsTypeA), 3, 0},
		{"suffix is not a subdomain", query(11, "xbench.test", dnsTypeA), 3, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := dnsAnswer(tt.msg, "bench.test", addr)
			if out == nil {
				t.Fatal("no answer")
			}
			if !bytes.Equal(out[:2], tt.msg[:2]) {
				t.Errorf("id %x, want %x", out[:2], tt.msg[:2])
			}
			flags := binary.BigEndian.Uint16(out[2:])
			if flags&0x8000 == 0 || int(flags&0xf) != tt.rcode {
				t.Errorf("flags %#04x: want a response with rcode %d", flags, tt.rcode)
			}
			if got := int(binary.BigEndian.Uint16(out[6:])); got != tt.answers {
				t.Errorf("%d answers, want %d", got, tt.answers)
			}
			if tt.answers == 1 && !bytes.Equal(out[len(out)-4:], addr[:]) {
				t.Errorf("address %v, want %v", out[len(out)-4:], addr)
			}
		})
	}
	for _, bad := range [][]byte{nil, make([]byte, 11), query(1, "a.b", 1)[:len(query(1, "a.b", 1))-1], func() []byte {
		q := query(1, "a.b", 1)
		q[2] |= 0x80 // a response
		return q
	}(), func() []byte {
		q := query(1, "a.b", 1)
		q[12] = 0xc0 // a compression pointer in the question
		return q
	}()} {
		if out := dnsAnswer(bad, "bench.test", addr); out != nil {
			t.Errorf("dnsAnswer(%x) = %x, want nil", bad, out)
		}
	}
}

// FuzzDNSAnswer: whatever arrives, the server either stays silent or sends a
// well-formed response to exactly the question it was asked.
func FuzzDNSAnswer(f *testing.F) {
	f.Add(query(1, "h1.bench.test", dnsTypeA))
	f.Add(query(2, "example.com", dnsTypeAAAA))
	f.Add([]byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63})
	f.Fuzz(func(t *testing.T, msg []byte) {
		out := dnsAnswer(msg, "bench.test", [4]byte{127, 0, 0, 2})
		if out == nil {
			return
		}
		q, err := parseDNSQuery(msg)
		if err != nil {
			t.Fatalf("answered a datagram that is not a query: %x", msg)
		}
		if len(out) < q.End || !bytes.Equal(out[:2], msg[:2]) || !bytes.Equal(out[dnsHeader:q.End], msg[dnsHeader:q.End]) {
			t.Fatalf("response does not echo the id and question: %x -> %x", msg, out)
		}
		if binary.BigEndian.Uint16(out[2:])&0x8000 == 0 {
			t.Fatal("not marked as a response")
		}
		an := binary.BigEndian.Uint16(out[6:])
		if want := q.End + int(an)*16; len(out) != want {
			t.Fatalf("length %d, want %d for %d answers", len(out), want, an)
		}
	})
}

func BenchmarkDNSAnswer(b *testing.B) {
	q := query(1, "h17.bench.test", dnsTypeA)
	for b.Loop() {
		if dnsAnswer(q, "bench.test", [4]byte{127, 0, 0, 2}) == nil {
			b.Fatal("no answer")
		}
	}
}
