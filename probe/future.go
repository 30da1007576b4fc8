package probe

// future is a value one goroutine produces and others wait for: it is how a read that depends on
// another (the key reads on DescribeSecret, the KMS simulation on the key ARN) starts the moment
// its input is known, and not a round trip later.
type future[T any] struct {
	done chan struct{}
	v    T
}

func newFuture[T any]() *future[T] { return &future[T]{done: make(chan struct{})} }

// set publishes v; it must be called exactly once.
func (f *future[T]) set(v T) {
	f.v = v
	close(f.done)
}

// get waits for the value. Every producer sets its future on every path (the reads it waits on
// end with the probe's context), so get cannot block forever.
func (f *future[T]) get() T {
	<-f.done
	return f.v
}
