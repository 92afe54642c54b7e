package nobuild

var n int = "one"
