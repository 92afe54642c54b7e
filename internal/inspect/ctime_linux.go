package inspect

import "syscall"

// ctimeNano is the inode change time in nanoseconds (the fields are 32 bits wide on
// 32-bit platforms).
func ctimeNano(s *syscall.Stat_t) int64 { return int64(s.Ctim.Sec)*1e9 + int64(s.Ctim.Nsec) }
