// Package hdr includes a header glibc has only for x86 (<sys/io.h>), one that only
// linux/amd64's #cgo flags find, and headers the rule must leave alone.
package hdr

/*
#cgo linux,amd64 CFLAGS: -I${SRCDIR}/amd64inc
#include <stdio.h>
#include <sys/io.h>
#include <gonative_amd64only.h>
#include "local.h"
#include <local.h>
#ifdef GONATIVE_NEVER
#include <gonative_nosuch.h>
#endif
// #include <gonative_commented.h>
static int two(void) { return LOCAL_TWO; }
*/
import "C"

// Two is 2, from C.
func Two() int { return int(C.two()) }
