package exception

import "testing"

// panicBomb's Error panics with another panicBomb: fmt recovers the first panic while it
// describes the recovered value, but re-raises a panic from inside that description.
type panicBomb struct{}

func (panicBomb) Error() string { panic(panicBomb{}) }

// TestAttackMessagePanicValueThatPanics: Message recovers the panic of a broken Error, then
// formats the recovered value with fmt.Sprintf in its deferred function; when printing that
// value panics too, fmt re-panics and nothing recovers it, so the panic leaves Message (and
// every log call that describes such an error).
func TestAttackMessagePanicValueThatPanics(t *testing.T) {
	var msg string
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("Message panicked: %T", p)
			}
		}()
		msg = Message(panicBomb{})
	}()
	if msg == "" {
		t.Errorf("Message gave no description")
	}
}
