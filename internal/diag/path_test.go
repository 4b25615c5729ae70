package diag

import "testing"

func TestCUEPath(t *testing.T) {
	for _, tc := range []struct {
		elems []PathElem
		want  string
	}{
		{Fields("stacks", "primary", "services", "postgres"), "stacks.primary.services.postgres"},
		{Fields("stacks", "pg-18", "services", "a.b"), `stacks."pg-18".services."a.b"`},
		{append(Fields("#Service", "ports"), Index(0), Field("host")), "#Service.ports[0].host"},
		{[]PathElem{Field("environment"), Field("5"), Field("")}, `environment."5".""`},
		{[]PathElem{Index(2), Field("x")}, "[2].x"},
		{[]PathElem{Field(`say "hi"`)}, `"say \"hi\""`},
		{nil, ""},
	} {
		if got := CUEPath(tc.elems...); got != tc.want {
			t.Errorf("CUEPath(%v) = %s, want %s", tc.elems, got, tc.want)
		}
	}
	if got := Label("max-conn"); got != `"max-conn"` {
		t.Errorf(`Label("max-conn") = %s`, got)
	}
}
