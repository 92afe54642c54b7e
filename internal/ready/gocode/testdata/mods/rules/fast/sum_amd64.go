package fast

//go:noescape
func sum(a, b int) int
