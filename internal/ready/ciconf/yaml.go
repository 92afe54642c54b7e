package ciconf

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// parseYAML parses a CI file into its top mapping; an error says why it cannot be
// judged. Aliases stay unexpanded (the walks below follow one alias, never a chain),
// so a hostile file cannot blow up.
func parseYAML(f *file) (top *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			top, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(f.data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil // empty
	}
	top = deref(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a mapping at the top")
	}
	return top, nil
}

// deref follows an alias to its anchored node.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// get returns the key and value nodes of key in the mapping m (nil, nil when absent).
func get(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i], deref(m.Content[i+1])
		}
	}
	return nil, nil
}

// pairs returns the key/value pairs of a mapping.
func pairs(m *yaml.Node) [][2]*yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], deref(m.Content[i+1])})
	}
	return out
}

// scalar returns a scalar node's value.
func scalar(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// strings returns the scalars of a scalar or a sequence of scalars (nested sequences
// flattened, as GitLab's script lists are).
func scalars(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return []*yaml.Node{n}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range n.Content {
			if c = deref(c); c.Kind == yaml.ScalarNode {
				out = append(out, c)
			} else if c.Kind == yaml.SequenceNode {
				for _, d := range c.Content {
					if d = deref(d); d.Kind == yaml.ScalarNode {
						out = append(out, d)
					}
				}
			}
		}
		return out
	}
	return nil
}

// ownLine reports whether the key node starts its line (only spaces before it) and
// its value is a scalar on the same line: a line an edit may replace or delete.
func ownLine(f *file, key, val *yaml.Node) bool {
	if key == nil || val == nil || key.Line < 1 || key.Line > len(f.lines) || val.Line != key.Line {
		return false
	}
	t := f.text(key.Line)
	return key.Column >= 1 && key.Column-1 <= len(t) && strings.TrimLeft(t[:key.Column-1], " ") == "" && deref(val).Kind == yaml.ScalarNode
}

// blockMapping reports whether a mapping is written in block style with its first key
// on a line of its own below its parent's key.
func blockMapping(key, m *yaml.Node) bool {
	return m != nil && m.Kind == yaml.MappingNode && m.Style&yaml.FlowStyle == 0 && len(m.Content) >= 2 && m.Content[0].Line > key.Line
}

var plainLabel = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`) })

// yamlScalar writes s as a YAML scalar: plain when it is a simple word, else
// double-quoted (Go's escapes are YAML's).
func yamlScalar(s string) string {
	if plainLabel().MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

// replaceScalar returns line n with the scalar node's value replaced by with, or
// false when the value is not found where the node says it is.
func replaceScalar(f *file, n *yaml.Node, with string) (string, bool) {
	t := f.text(n.Line)
	i := n.Column - 1
	if i < 0 || i >= len(t) {
		return "", false
	}
	if c := t[i]; c == '"' || c == '\'' {
		if strings.HasPrefix(t[i+1:], n.Value+string(c)) {
			return t[:i+1] + with + t[i+1+len(n.Value):], true
		}
		return "", false
	}
	if strings.HasPrefix(t[i:], n.Value) && plainLabel().MatchString(with) {
		return t[:i] + with + t[i+len(n.Value):], true
	}
	return "", false
}
