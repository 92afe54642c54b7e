/* found only through #cgo linux,amd64 CFLAGS: -I${SRCDIR}/amd64inc */
#define GONATIVE_AMD64ONLY 1
