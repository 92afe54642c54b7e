// Package notary looks up notarization tickets by CDHash: whether Apple's notary
// service has notarized the code a CodeDirectory describes (inspect --online). A
// bare Mach-O cannot carry a stapled ticket, so this lookup is the only way to tell
// from outside a Mac; Gatekeeper makes the same one at first launch.
//
// The lookup is one JSON POST to the public CloudKit container where Apple
// publishes tickets, as Apple's stapler and apple-codesign's ticket_lookup.rs
// (indygreg/apple-platform-rs) make it: the request names a record
// "2/<hash type>/<CDHash hex, 20 bytes>", and the response has, per record, either
// a "fields.signedTicket" of type BYTES (a ticket exists) or a "serverErrorCode"
// ("NOT_FOUND": none). It is never required: inspect works offline, and says that
// notarization is unknown.
package notary
