package frame

import (
	"bytes"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// Builder writes the same bytes as Append for the same frame, in every
// version, with awkward header values.
func TestBuilderMatchesAppend(t *testing.T) {
	body := []byte("a\x00b")
	for _, v := range []string{V10, V11, V12} {
		f := frame.New(frame.MESSAGE, "destination", "/queue/a:b", "x-note", "line\nbreak\\", "n", "42", "message-id", "ID:host:1-7")
		f.Header.Add(frame.ContentLength, "3")
		f.Body = body
		want := Append(nil, f, v)
		got := Start(nil, frame.MESSAGE, v).Header("destination", "/queue/a:b").Header("x-note", "line\nbreak\\").HeaderInt("n", 42).
			HeaderID("message-id", "host:1", 7).End(body, true)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", v, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		buf := make([]byte, 0, 512)
		_ = Start(buf, frame.RECEIPT, V12).Header(frame.ReceiptId, "77").End(nil, false)
	}); n > 1 {
		t.Errorf("Builder allocates %v times", n)
	}
}
