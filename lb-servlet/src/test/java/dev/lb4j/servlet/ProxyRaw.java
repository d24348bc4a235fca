package dev.lb4j.servlet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Raw HTTP/1.1 over a socket, for what the JDK client refuses to send. */
final class ProxyRaw {

  /** A response as received: status, headers in order, the rest as text. */
  record Response(int status, List<String[]> headers, String body) {
    List<String> all(String name) {
      List<String> values = new ArrayList<>();
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase(name)) {
          values.add(h[1]);
        }
      }
      return values;
    }

    List<String> names() {
      List<String> names = new ArrayList<>();
      for (String[] h : headers) {
        names.add(h[0].toLowerCase(Locale.ROOT));
      }
      return names;
    }
  }

  private ProxyRaw() {}

  /** Sends the bytes (a request that ends with Connection: close) and reads until the server closes. */
  static Response exchange(int port, String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      for (int n; all.size() < 1 << 20 && (n = in.read(buf)) >= 0; ) {
        all.write(buf, 0, n);
      }
      return parse(all.toString(StandardCharsets.ISO_8859_1));
    }
  }

  private static Response parse(String text) {
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new AssertionError("no complete response head: " + text);
    }
    String[] lines = text.substring(0, end).split("\r\n", -1);
    int status = Integer.parseInt(lines[0].split(" ", -1)[1]);
    List<String[]> headers = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.add(new String[] {lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()});
    }
    return new Response(status, headers, text.substring(end + 4));
  }
}
