"""har predict on raw recordings: a UCI-HAR run classifies HAPT's raw accelerometer and gyroscope files of chosen
users (UCI-HAR's subjects are HAPT's users, its sessions HAPT's experiments), so the run's nine channels are derived
from acc_x..gyro_z by har predict itself. Windows of 128 every 64 samples that lie inside one labelled activity
(labels.txt, activities 1-6) are scored against that label.

usage: python3 benchmarks/scripts/predict_raw_hapt.py RUN HAR USERS [har predict options]
  e.g. python3 benchmarks/scripts/predict_raw_hapt.py runs/uci-teacher ./har 2,4,9,10,12,13,18,20,24 --threads 1
The data directory is $HAR_DATA (default ../shared/data); files go to a temporary folder.
"""
import gzip, json, subprocess, sys, os, csv, tempfile
R=os.path.join(os.environ.get('HAR_DATA','../shared/data'),'HAPT','RawData')
tmp=tempfile.mkdtemp(prefix='predict-raw-')
run=sys.argv[1]; har=sys.argv[2]; users=[int(u) for u in sys.argv[3].split(',')]
extra=sys.argv[4:]
labels=[tuple(map(int,l.split())) for l in open(f'{R}/labels.txt')]
names=json.load(open(f'{run}/config.json'))['ClassNames']
tot=ok=0; per={}
for f in sorted(os.listdir(R)):
    if not f.startswith('acc_'): continue
    e=int(f[7:9]); u=int(f[-9:-7])
    if u not in users: continue
    acc=[l.split() for l in gzip.open(f'{R}/{f}','rt')]
    gyr=[l.split() for l in gzip.open(f'{R}/gyro'+f[3:],'rt')]
    p=f'{tmp}/rec_{e:02d}.csv'
    with open(p,'w') as o:
        o.write('acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z\n')
        for a,g in zip(acc,gyr): o.write(','.join(a+g)+'\n')
    out=f'{tmp}/pred_{e:02d}.csv'
    subprocess.run([har,'predict','--run',run,'--input',p,'--out',out,'--stride','64']+extra,check=True,capture_output=True)
    segs=[(a,s-1,en) for (ee,uu,a,s,en) in labels if ee==e and a<=6]   # labels.txt rows are 1-based, inclusive
    for r in csv.DictReader(open(out)):
        s=int(r['start_sample']); en=int(r['end_sample'])
        for a,ss,ee_ in segs:
            if ss<=s and en<=ee_:
                tot+=1; hit=names[a-1]==r['activity']; ok+=hit
                c=per.setdefault(a,[0,0]); c[0]+=hit; c[1]+=1
print(f'{ok}/{tot} = {100*ok/tot:.2f} %', {names[a-1]:f'{100*c[0]/c[1]:.1f} ({c[1]})' for a,c in sorted(per.items())})
