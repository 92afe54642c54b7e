/* the package directory provides this header: cgo compiles with -I of it */
#define LOCAL_TWO 2
