//go:build !unix

package main

import "time"

// processCPU cannot be read here: the procs tuner stays off.
func processCPU() (time.Duration, bool) { return 0, false }
