package ordered_test

import (
	"encoding/json"
	"testing"

	"studentapi/internal/ordered"
)

// Members are written in the order they were put in, whatever their keys,
// without HTML escapes, and nested objects keep their own order.
func TestObjectKeepsItsOrder(t *testing.T) {
	o := ordered.Object[any]{
		{Key: "zeta", Value: 1},
		{Key: "alpha", Value: "<b>&"},
		{Key: "mid", Value: ordered.Object[int]{{Key: "y", Value: 2}, {Key: "x", Value: 1}}},
		{Key: "list", Value: []string{"a"}},
	}
	// MarshalJSON itself: json.Marshal would escape HTML in what it returns.
	got, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"zeta":1,"alpha":"<b>&","mid":{"y":2,"x":1},"list":["a"]}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, _ := json.Marshal(ordered.Object[int]{}); string(got) != "{}" {
		t.Errorf("empty object: %s, want {}", got)
	}
	if v, ok := o.Lookup("alpha"); !ok || v != "<b>&" {
		t.Errorf("Lookup(alpha) = %v, %v", v, ok)
	}
	if _, ok := o.Lookup("beta"); ok {
		t.Errorf("Lookup(beta) found a member that is not there")
	}
}
