package netchecktest

import (
	"crypto/sha256"
	"io"
	"log"
)

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
