//go:build !unix

package build

import "errors"

func mkfifo(string) error { return errors.New("no named pipes here") }
