// Command server is bench cgo's sample program: it serves a small JSON answer on
// -addr, or with -once resolves its own user and host names and exits.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/user"

	"example.com/sample/lib"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	once := flag.Bool("once", false, "print one answer and exit")
	flag.Parse()
	if *once {
		u, err := user.Current()
		name := "?"
		if err == nil {
			name = u.Username
		}
		fmt.Println(lib.Sum(lib.Words("the quick brown fox")), name)
		return
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "sum": lib.Sum(lib.Words(r.URL.Path))})
	})
	fmt.Fprintln(os.Stderr, "listening on", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
