//go:build !unix

package toolchain

import "errors"

func mkfifo(string) error { return errors.New("no named pipes here") }
