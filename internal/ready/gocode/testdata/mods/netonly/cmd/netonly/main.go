// Command netonly resolves a name: only the standard library's net uses cgo.
package main

import (
	"fmt"
	"net"
)

func main() { fmt.Println(net.LookupHost("localhost")) }
