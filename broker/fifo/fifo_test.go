package fifo

import (
	"slices"
	"testing"
)

func TestFIFOOrder(t *testing.T) {
	var q FIFO[int]
	var want []int
	next := 0
	for round := 0; round < 50; round++ {
		for i := 0; i < 100; i++ {
			q.Push(next)
			want = append(want, next)
			next++
		}
		for i := 0; i < 70; i++ {
			if got := q.Pop(); got != want[0] {
				t.Fatalf("Pop = %d, want %d", got, want[0])
			}
			want = want[1:]
		}
		if q.Len() != len(want) {
			t.Fatalf("Len = %d, want %d", q.Len(), len(want))
		}
	}
	q.PushFront(-2, -1)
	want = append([]int{-2, -1}, want...)
	if got := q.Drain(); !slices.Equal(got, want) {
		t.Fatalf("Drain = %v... want %v...", got[:5], want[:5])
	}
	if q.Len() != 0 {
		t.Fatal("not empty after Drain")
	}
}

// A long backlog popped one by one stays linear.
func BenchmarkPopBacklog(b *testing.B) {
	var q FIFO[[6]int64]
	for i := 0; i < 100000; i++ {
		q.Push([6]int64{int64(i)})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q.Push([6]int64{int64(i)})
		q.Pop()
	}
}
