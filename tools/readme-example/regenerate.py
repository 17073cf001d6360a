"""Writes the answers replay.sh recorded into README.md's service example, in place of the old ones
(whose ids, from the previous replay's out-dir, are replaced everywhere in that section).

    python3 tools/readme-example/regenerate.py <out-dir> <previous-out-dir> README.md
"""
import json, re, sys
O=sys.argv[1].rstrip('/')+'/'
P=sys.argv[2].rstrip('/')+'/'
oldM,oldC,oldE,oldJ=open(P+'ids.txt').read().split()
oldKey=json.loads(open(P+'13-key.txt').read())['key']
oldAdmin=re.search(r'hp_\w{8}…', open(P+'01-adminkey.txt').read()).group(0)
def rd(f): return open(O+f).read().strip()
p=sys.argv[3]
s=open(p).read()
start=s.index('## Worked example: the service'); end=s.index('## Worked example: the command line')
r=s[start:end]
lines=r.split('\n')
out=[]
i=0
model=json.loads(rd('03-model.txt')); calib=json.loads(rd('04-calib.txt')); ev=json.loads(rd('05-eval.txt'))
sub=rd('06-submit.txt').split('\n')[-1]; job=json.loads(sub)['id']
done=json.loads(rd('08-done.txt'))
key=json.loads(rd('13-key.txt'))
admin=re.search(r'hp_\w{8}…', rd('01-adminkey.txt')).group(0)
def compact(o): return json.dumps(o, separators=(',',':'), ensure_ascii=False)
while i < len(lines):
    l=lines[i]
    if l.startswith('    {"type":"https://headprune.io/problems/unauthorized"') or (l.startswith('    {') and '"status":401' in l):
        out.append('    '+rd('02-401.txt')); i+=1; continue
    if l.startswith('    {') and 'given 2 times' in l:
        out.append('    '+rd('16-two-auth.txt')); i+=1; continue
    if l.startswith('    INFO ... io.headprune.tenancy.ApiKeys'):
        out.append('    INFO ... io.headprune.tenancy.ApiKeys : created the platform-admin key %s; it is in data/admin.key (readable by this user only)' % admin); i+=1; continue
    if l.startswith('    {"id":"'+oldM+'"'):
        out.append('    '+rd('03-model.txt')); i+=1; continue
    if l.startswith('    {"id":"'+oldC+'"'):
        out.append('    '+rd('05b-patch.txt' if 'reviewed' in l else '04-calib.txt')); i+=1; continue
    if l.startswith('    {"id":"'+oldE+'"'):
        out.append('    '+rd('05-eval.txt')); i+=1; continue
    if l.startswith('    {"items":[{"id":"'+oldM+'"'):
        out.append('    '+rd('05a-list.txt')); i+=1; continue
    if l.startswith('    {"items":[{"id":"'+oldC+'"'):
        out.append('    '+rd('05c-list.txt')); i+=1; continue
    if l.startswith('    {"id":"'+oldJ) and '"QUEUED"' in l:
        out.append('    '+sub); i+=1; continue
    if l.startswith('    {"id":"'+oldJ) and '"RUNNING"' in l:
        import glob
        runs=sorted(glob.glob(O+'07-running-*.txt'))
        out.append('    '+open(runs[len(runs)//2]).read().strip()); i+=1; continue
    if l.startswith('    {"id":"'+oldJ) and '"SUCCEEDED"' in l and '"result":{' not in l:
        d=done; res=d['result']
        out.append('    {"id":"%s","status":"SUCCEEDED","name":%s,"labels":%s,"externalId":%s,"pool":%s,' % (job, compact(d['name']), compact(d['labels']), compact(d['externalId']), compact(d['pool'])))
        out.append('     "model":%s,' % compact(d['model']))
        out.append('     "progress":%s,"createdAt":"%s","startedAt":"%s",' % (compact(d['progress']), d['createdAt'], d['startedAt']))
        out.append('     "finishedAt":"%s","attempt":1,"error":null,' % d['finishedAt'])
        out.append('     "result":{"criterion":"%s","sparsity":%s,"selection":"%s","prunedHeads":%s,' % (res['criterion'], res['sparsity'], res['selection'], compact(res['prunedHeads'])))
        out.append('       "alpha":%s,"dense":%s,' % (res['alpha'], compact(res['dense'])))
        out.append('       "speedup":%s,' % compact(res['speedup']))
        out.append('       "links":{"pruned":%s,' % compact(res['links']['pruned']))
        out.append('                "masked":{...},"scores":{...},"report":{...},"reportPage":{...}},')
        out.append('       "artifact":%s},' % compact(res['artifact']))
        out.append('     "callback":null,"data":%s,' % compact(d['data']))
        out.append('     "plan":%s,' % compact(d['plan']))
        out.append('     "peakMemory":%s,' % compact(d['peakMemory']))
        out.append('     "request":%s}' % compact(d['request']))
        while not (lines[i].startswith('     "peakMemory"') and lines[i].rstrip().endswith('}')) and not lines[i].startswith('     "request"'): i+=1
        i+=1; continue
    if l.startswith('    ETag:'):
        out.append('    ETag: "%s"' % done['result']['links']['pruned']['sha256'])
        cc=[h for h in rd('09-download-headers.txt').split('\n') if h.startswith('Cache-Control')]
        out.append('    '+cc[0].strip())
        i+=1
        if lines[i].startswith('    Cache-Control'): i+=1
        continue
    if l.startswith('    Content-Length:'):
        out.append('    Content-Length: %d' % done['result']['links']['pruned']['bytes']); i+=1; continue
    if l.startswith('    {"seeds":'):
        h=json.loads(rd('10a-heads.txt'))
        out.append('    {"seeds":%d,"heads":[%s,' % (h['seeds'], compact(h['heads'][0])))
        out.append('      ... %d more heads]}' % (len(h['heads'])-1))
        i+=2; continue
    if l.startswith('    {"detail":"job '+oldJ):
        out.append('    '+rd('11-cancel.txt')); i+=1; continue
    if l.startswith('    {"job":"'+oldJ):
        ev_=json.loads(rd('12-events.txt'))
        out.append('    {"job":"%s","status":"%s","events":[' % (ev_['job'], ev_['status']))
        evs=ev_['events']
        for k,e in enumerate(evs):
            out.append('      '+compact(e)+(',' if k < len(evs)-1 else ']}'))
        while not lines[i].rstrip().endswith(']}'): i+=1
        i+=1; continue
    if l.startswith('    {"key":"hp_'):
        out.append('    '+rd('13-key.txt')); i+=1; continue
    if l.startswith('    {"detail":"job does not exist"'):
        out.append('    '+rd('14-404.txt')); i+=1; continue
    if l.startswith('    {"items":[{"id":') and '"action"' in l:
        out.append('    '+rd('15-audit.txt')); i+=1; continue
    out.append(l); i+=1
r='\n'.join(out)
for a,b in [(oldJ, job), (oldM, model['id']), (oldC, calib['id']), (oldE, ev['id']),
            (oldKey, key['key']), (oldAdmin, admin)]:
    r=r.replace(a,b)
r=re.sub(r"ran on a quiet machine: [0-9.]+ s", "ran on a quiet machine: %s s" % round(float(re.search(r'succeeded in ([0-9.]+) s', rd('12-events.txt')).group(1))), r)
s=s[:start]+r+s[end:]

# the Vision Transformer section: its three uploads, the job's Location, the ids throughout
vstart=s.index('## Worked example: a Vision Transformer'); vend=s.index('\n## ', vstart + 10)
v=s[vstart:vend]
oldVM=re.search(r'"model": \{"id": "([0-9a-f-]{36})"\}', v).group(1)
oldVC=re.search(r'"calibration": \{"id": "([0-9a-f-]{36})"\}', v).group(1)
oldVE=re.search(r'"evaluation": \{"id": "([0-9a-f-]{36})"\}', v).group(1)
oldVJ=re.search(r'Location: /v1/jobs/([0-9a-f-]{36})', v).group(1)
newVM,newVC,newVE,newVJ=rd('vit-ids.txt').split()
vl=v.split('\n')
for k,l in enumerate(vl):
    if l.startswith('    {"id":"'+oldVM+'"'): vl[k]='    '+rd('20-vit-model.txt')
    elif l.startswith('    {"id":"'+oldVC+'"'): vl[k]='    '+rd('21-vit-calib.txt')
    elif l.startswith('    {"id":"'+oldVE+'"'): vl[k]='    '+rd('22-vit-eval.txt')
v='\n'.join(vl)
for a,b in [(oldVM,newVM),(oldVC,newVC),(oldVE,newVE),(oldVJ,newVJ),(oldVJ[:8]+'-…',newVJ[:8]+'-…')]:
    v=v.replace(a,b)
s=s[:vstart]+v+s[vend:]
open(p,'w').write(s)
