//go:build !linux

package main

import "time"

// scriptProcesses finds nothing here: without /proc only the commands run as this
// test binary stop themselves at their script's deadline (watch).
func scriptProcesses(string) []process { return nil }

func stopProcess(int, time.Duration) {}
