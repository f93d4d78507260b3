"""Tandem on the LAN: the app served over HTTPS to the user's paired phones.

cert.py makes the self-signed certificate, devices.py keeps the paired devices, pairing.py
the one-time codes and the attempt limits, guard.py lets only paired devices in, pages.py
is what unpaired phones may see, and service.py runs the server beside the app.
"""
