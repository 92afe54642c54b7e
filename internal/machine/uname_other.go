//go:build !unix

package machine

import "errors"

// uname has no equivalent here.
func uname() (string, string, error) { return "", "", errors.New("uname: not supported on this OS") }
