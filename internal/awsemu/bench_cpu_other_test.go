//go:build !unix

package awsemu

import "time"

// processCPU is not measured here; the cpu-us/req metric then reads 0.
func processCPU() time.Duration { return 0 }
