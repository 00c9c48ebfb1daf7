#!/usr/bin/python3
"""Seed the lab's Samba AD DC (CORP.EXAMPLE.COM) offline, in one process: users, service accounts
with their SPNs and enctypes, and the DB's keytab. One interpreter instead of a dozen samba-tool
runs (each pays ~0.3 s of Python start-up). Called by scripts/lab; passwords come by environment.

usage: lab-ad-seed.py SMB_CONF KEYTAB
env:   KERBRDS_AD_USERS="name:ENVVAR …"  KERBRDS_AD_SPNS="account:enctypes:spn,spn …"
"""
import os
import sys

import ldb
import samba
from samba.auth import system_session
from samba.net import Net
from samba.param import LoadParm
from samba.samdb import SamDB


def main():
    conf, keytab = sys.argv[1], sys.argv[2]
    lp = LoadParm()
    lp.load(conf)
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    base = samdb.domain_dn()

    for entry in os.environ["KERBRDS_AD_USERS"].split():
        name, var = entry.split(":")
        samdb.newuser(name, os.environ[var])

    spns = []
    for entry in os.environ["KERBRDS_AD_SPNS"].split():
        account, enctypes, names = entry.split(":", 2)
        m = ldb.Message()
        m.dn = ldb.Dn(samdb, f"CN={account},CN=Users,{base}")
        m["servicePrincipalName"] = ldb.MessageElement(
            names.split(","), ldb.FLAG_MOD_REPLACE, "servicePrincipalName")
        m["msDS-SupportedEncryptionTypes"] = ldb.MessageElement(
            enctypes, ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
        samdb.modify(m)
        spns.extend(names.split(","))

    samba.enable_net_export_keytab()
    net = Net(None, lp)
    for spn in spns:
        net.export_keytab(keytab=keytab, principal=spn)


if __name__ == "__main__":
    main()
