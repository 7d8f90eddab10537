"""Media without I/O: G.711 codecs, SDP offer/answer, RTP packets and RFC 4733 events."""
