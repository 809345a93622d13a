#!/usr/bin/env python3
# Markdown table of the Ga13→Ga14 and Ga17→Ga18 cluster runs (README, "Metal clusters (MeGen)"): reads
# runs/<config>-seed<N>/summary.json and <method>/isomers.xyz. Usage: scripts/clusters-report.py [RUNS_DIR]
import json, glob, os, statistics as st
import sys
root=sys.argv[1] if len(sys.argv) > 1 else 'runs'
for sys_ in ['clusters-ga13-ga14','clusters-ga17-ga18']:
    runs=sorted(r for r in glob.glob(f'{root}/{sys_}-seed*') if os.path.exists(f'{r}/summary.json'))
    if not runs: continue
    E={}  # (method, seed) -> energies
    for r in runs:
        s=json.load(open(f'{r}/summary.json'))
        for m in s['methods']:
            es=[]
            L=open(f"{r}/{m['method']}/isomers.xyz").read().split('\n'); i=0
            while i<len(L) and L[i].strip():
                n=int(L[i]); es.append(float(L[i+1].split('energy=')[1].split()[0])); i+=2+n
            E[(m['method'],r[-1])]=(es,m['evaluations'],m['seconds'])
    gmin=min(min(v[0]) for v in E.values())
    print(f'### {sys_}  (global lowest over all methods and seeds: {gmin:.4f} eV)')
    print('| method | seeds | evaluations/run | lowest E (eV), best seed | lowest E, mean ± sd over seeds | unique minima (mean) | within 0.1 eV of global lowest (mean) | s/run |')
    print('|---|---|---|---|---|---|---|---|')
    for m in ['rl','random','basin-hopping']:
        ks=[k for k in E if k[0]==m]
        mins=[min(E[k][0]) for k in ks]; nu=[len(E[k][0]) for k in ks]; nl=[sum(1 for e in E[k][0] if e<=gmin+0.1) for k in ks]
        ev=[E[k][1] for k in ks]; sec=[E[k][2] for k in ks]
        sd=st.stdev(mins) if len(mins)>1 else 0
        print(f'| {m} | {len(ks)} | {max(ev)} | {min(mins):.4f} | {st.mean(mins):.4f} ± {sd:.4f} | {st.mean(nu):.1f} | {st.mean(nl):.1f} | {st.mean(sec):.0f} |')
    print()
