// Package notary looks up notarization tickets by CDHash.
package notary
