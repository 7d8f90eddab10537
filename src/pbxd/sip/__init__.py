"""SIP: messages, transactions, transports, peers, registrar and qualify (chan_sip's work).

Layers, bottom up: ``message`` (sans-I/O parser and serializer), ``transaction`` (RFC 3261
state machines on a clock), ``transport`` (asyncio UDP/TCP), ``stack`` (dispatch of requests
by method to ``SipStack.handlers``), then the peers from ``sip.conf`` and what keeps their
live state.
"""
