package exe

// Fact is a fact that the bytes of a file may not settle. When Known is false, Value
// is the zero value and Why says why the fact is unknown (it may be empty when
// nothing was read to tell). Unknown is never false: ask Is.
type Fact[T comparable] struct {
	Value T
	Known bool
	Why   string
}

// KnownFact returns the fact v, settled by the bytes.
func KnownFact[T comparable](v T) Fact[T] { return Fact[T]{Value: v, Known: true} }

// UnknownFact returns a fact the bytes do not settle, and why.
func UnknownFact[T comparable](why string) Fact[T] { return Fact[T]{Why: why} }

// Is reports whether the fact is known and equal to v.
func (f Fact[T]) Is(v T) bool { return f.Known && f.Value == v }

// Ptr returns the fact as a pointer to its value, nil when it is unknown.
func (f Fact[T]) Ptr() *T {
	if !f.Known {
		return nil
	}
	v := f.Value
	return &v
}
