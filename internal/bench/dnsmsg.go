package bench

// This file is also compiled into the DNS probe program (see probe.go), which embeds
// it with its package clause rewritten: it must import nothing but the standard
// library and refer to nothing else in package bench.

import (
	"encoding/binary"
	"errors"
	"strings"
)

// DNS message constants the probe's server needs (RFC 1035).
const (
	dnsTypeA    = 1
	dnsTypeAAAA = 28
	dnsClassIN  = 1
	dnsHeader   = 12
)

// errDNSQuery says a datagram is not a DNS query the probe's server answers.
var errDNSQuery = errors.New("not a DNS query with one question")

// dnsQuestion is the single question of a query.
type dnsQuestion struct {
	ID    uint16
	Name  string // lower case, without the trailing dot
	Type  uint16
	Class uint16
	End   int // offset just past the question
	RD    bool
}

// parseDNSQuery reads the header and the one question of a DNS query. Names with
// compression pointers (never sent in a query's question) are refused.
func parseDNSQuery(msg []byte) (dnsQuestion, error) {
	var q dnsQuestion
	if len(msg) < dnsHeader {
		return q, errDNSQuery
	}
	q.ID = binary.BigEndian.Uint16(msg)
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&0x8000 != 0 || (flags>>11)&0xf != 0 { // a response, or not a standard query
		return q, errDNSQuery
	}
	q.RD = flags&0x0100 != 0
	if binary.BigEndian.Uint16(msg[4:]) != 1 {
		return q, errDNSQuery
	}
	var labels []string
	off, total := dnsHeader, 0
	for {
		if off >= len(msg) {
			return q, errDNSQuery
		}
		n := int(msg[off])
		off++
		if n == 0 {
			break
		}
		if n > 63 || off+n > len(msg) {
			return q, errDNSQuery
		}
		total += n + 1
		if total > 255 {
			return q, errDNSQuery
		}
		labels = append(labels, strings.ToLower(string(msg[off:off+n])))
		off += n
	}
	if off+4 > len(msg) {
		return q, errDNSQuery
	}
	q.Name = strings.Join(labels, ".")
	q.Type = binary.BigEndian.Uint16(msg[off:])
	q.Class = binary.BigEndian.Uint16(msg[off+2:])
	q.End = off + 4
	return q, nil
}

// dnsAnswer builds the response to query msg: an A record addr (4 bytes) for A
// questions about names under zone, an empty NOERROR answer for their other types, and
// NXDOMAIN for names outside zone. It returns nil for a datagram that is not a query.
func dnsAnswer(msg []byte, zone string, addr [4]byte) []byte {
	q, err := parseDNSQuery(msg)
	if err != nil {
		return nil
	}
	inZone := q.Name == zone || strings.HasSuffix(q.Name, "."+zone)
	flags := uint16(0x8000 | 0x0400) // response, authoritative
	if q.RD {
		flags |= 0x0100 | 0x0080 // RD copied, RA
	}
	answer := inZone && q.Type == dnsTypeA && q.Class == dnsClassIN
	if !inZone {
		flags |= 3 // NXDOMAIN
	}
	out := make([]byte, 0, q.End+16)
	out = binary.BigEndian.AppendUint16(out, q.ID)
	out = binary.BigEndian.AppendUint16(out, flags)
	out = binary.BigEndian.AppendUint16(out, 1) // QDCOUNT
	an := uint16(0)
	if answer {
		an = 1
	}
	out = binary.BigEndian.AppendUint16(out, an)
	out = binary.BigEndian.AppendUint16(out, 0)
	out = binary.BigEndian.AppendUint16(out, 0)
	out = append(out, msg[dnsHeader:q.End]...)
	if answer {
		out = append(out, 0xc0, dnsHeader) // pointer to the question's name
		out = binary.BigEndian.AppendUint16(out, dnsTypeA)
		out = binary.BigEndian.AppendUint16(out, dnsClassIN)
		out = binary.BigEndian.AppendUint32(out, 0) // TTL 0: nothing may cache it
		out = binary.BigEndian.AppendUint16(out, 4)
		out = append(out, addr[:]...)
	}
	return out
}
