//go:build !unix

package image

// openNonblock is 0 where opens do not block on named pipes.
const openNonblock = 0
