package dev.lb4j.core.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Router}'s index of exact paths and path prefixes: a compressed radix tree (a PATRICIA
 * trie, Morrison 1968), whose edges carry whole substrings of the keys instead of one character
 * each. A node exists only where a key ends or where keys part ways, so a lookup makes one hop per
 * branching point and compares each edge's label with the path in one {@link String#startsWith(String,
 * int)}, a tight loop over the two strings' arrays, rather than a pointer hop and a search per
 * character. Children are found by their label's first character: a linear scan of a few
 * characters at narrow nodes, and a 128-entry table (plus the scan, for characters above ASCII) at
 * wide ones.
 *
 * <p>Keys are compared as {@code char}s, exactly like {@link String#startsWith} and {@link
 * String#equals}: a label may start or end between the two halves of a surrogate pair, which changes
 * nothing, since a path matches a key only if every {@code char} of the key is there.
 *
 * <p>Each node lists, in ascending order, the positions of the routes whose prefix ends there and
 * of those whose exact path ends there. Immutable once built: every field is final, and the tree is
 * reached through the router's final field.
 */
final class PathTree {

  /** Scan this many first characters; a node with more children also gets an ASCII table. */
  private static final int NARROW = 8;

  private static final int[] NONE = new int[0];

  private PathTree() {}

  /** A node of the tree: the edge that leads to it, its routes and its children. */
  static final class Node {
    /** The edge from the parent: the characters between the parent's key and this node's. */
    final String label;

    /** Positions of the routes whose path prefix ends here, ascending. */
    final int[] prefixRoutes;

    /** Positions of the routes whose exact path ends here, ascending. */
    final int[] exactRoutes;

    /** The first character of each child's label, in the same order as {@link #children}. */
    private final char[] firsts;

    private final Node[] children;

    /** Children by first character below 128, at wide nodes; {@code null} at narrow ones. */
    private final @Nullable Node @Nullable [] ascii;

    private Node(String label, int[] prefixRoutes, int[] exactRoutes, char[] firsts, Node[] children) {
      this.label = label;
      this.prefixRoutes = prefixRoutes;
      this.exactRoutes = exactRoutes;
      this.firsts = firsts;
      this.children = children;
      if (firsts.length > NARROW) {
        @Nullable Node[] table = new Node[128];
        for (int i = 0; i < firsts.length; i++) {
          if (firsts[i] < 128) {
            table[firsts[i]] = children[i];
          }
        }
        this.ascii = table;
      } else {
        this.ascii = null;
      }
    }

    /**
     * The child whose label starts with {@code c}; the caller still checks the rest of the label.
     *
     * @return the child, or {@code null} when no key continues with {@code c}
     */
    @Nullable Node child(char c) {
      @Nullable Node[] table = ascii;
      if (table != null && c < 128) {
        return table[c];
      }
      char[] f = firsts;
      for (int i = 0; i < f.length; i++) {
        if (f[i] == c) {
          return children[i];
        }
      }
      return null;
    }

    /** How many nodes there are in this subtree, for tests and diagnostics. */
    int size() {
      int n = 0;
      Deque<Node> stack = new ArrayDeque<>();
      stack.push(this);
      while (!stack.isEmpty()) {
        Node node = stack.pop();
        n++;
        for (Node child : node.children) {
          stack.push(child);
        }
      }
      return n;
    }
  }

  /** Builds a tree: add keys in declaration order, then {@link #build()}. Not thread-safe. */
  static final class Builder {

    /** A node under construction. */
    private static final class Draft {
      String label;
      final List<Integer> prefixRoutes = new ArrayList<>(0);
      final List<Integer> exactRoutes = new ArrayList<>(0);
      final Map<Character, Draft> children = new TreeMap<>();

      Draft(String label) {
        this.label = label;
      }
    }

    private final Draft root = new Draft("");

    /**
     * Adds the route at {@code position} (positions must be added in ascending order), matching
     * paths that start with {@code prefix}.
     */
    void addPrefix(String prefix, int position) {
      nodeFor(prefix).prefixRoutes.add(position);
    }

    /**
     * Adds the route at {@code position} (positions must be added in ascending order), matching
     * paths equal to {@code path}.
     */
    void addExact(String path, int position) {
      nodeFor(path).exactRoutes.add(position);
    }

    /** The node where {@code key} ends, made (splitting an edge if need be) when there is none. */
    private Draft nodeFor(String key) {
      Draft node = root;
      int at = 0;
      while (at < key.length()) {
        char c = key.charAt(at);
        Draft child = node.children.get(c);
        if (child == null) {
          child = new Draft(key.substring(at));
          node.children.put(c, child);
          return child;
        }
        String label = child.label;
        int common = 1; // the first character matched the map's key
        int max = Math.min(label.length(), key.length() - at);
        while (common < max && label.charAt(common) == key.charAt(at + common)) {
          common++;
        }
        if (common < label.length()) { // the key leaves (or ends inside) the edge: split it
          Draft middle = new Draft(label.substring(0, common));
          child.label = label.substring(common);
          middle.children.put(child.label.charAt(0), child);
          node.children.put(c, middle);
          child = middle;
        }
        node = child;
        at += common;
      }
      return node;
    }

    /** The immutable tree; its root's label is empty. */
    Node build() {
      // Children before parents, without recursion: a chain of keys that extend each other makes
      // the tree as deep as there are keys.
      IdentityHashMap<Draft, Node> frozen = new IdentityHashMap<>();
      Deque<Draft> stack = new ArrayDeque<>();
      stack.push(root);
      while (!stack.isEmpty()) {
        Draft draft = stack.peek();
        boolean ready = true;
        for (Draft child : draft.children.values()) {
          if (!frozen.containsKey(child)) {
            stack.push(child);
            ready = false;
          }
        }
        if (ready) {
          stack.pop();
          frozen.put(draft, freeze(draft, frozen));
        }
      }
      return Objects.requireNonNull(frozen.get(root));
    }

    private static Node freeze(Draft draft, IdentityHashMap<Draft, Node> frozen) {
      char[] firsts = new char[draft.children.size()];
      Node[] children = new Node[firsts.length];
      int i = 0;
      for (Map.Entry<Character, Draft> e : draft.children.entrySet()) {
        firsts[i] = e.getKey();
        children[i] = Objects.requireNonNull(frozen.get(e.getValue()));
        i++;
      }
      return new Node(
          draft.label, toArray(draft.prefixRoutes), toArray(draft.exactRoutes), firsts, children);
    }

    private static int[] toArray(List<Integer> list) {
      if (list.isEmpty()) {
        return NONE;
      }
      int[] a = new int[list.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = list.get(i);
      }
      return a;
    }
  }
}
