package main

func quitSelfSignal() bool { return false }
