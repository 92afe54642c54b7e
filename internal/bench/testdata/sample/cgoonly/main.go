// Command cgoonly cannot be built without cgo: bench cgo refuses it.
package main

/*
static int answer(void) { return 42; }
*/
import "C"

import "fmt"

func main() { fmt.Println(int(C.answer())) }
