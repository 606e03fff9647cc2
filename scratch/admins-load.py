import json, urllib.request, time, sys
A = open('/tmp/zw-demo/admin').read().strip()
def get(u):
    return json.load(urllib.request.urlopen('http://127.0.0.1:3912' + u))
items = get('/api/v1/administrators?limit=10000')['items']
print(len(items))
body = {'administrators': [{'employeeNo': 'X' + a['employeeNo'], 'name': a['name'], 'phone': a['phone'], 'grids': a['grids']} for a in items]}
for rnd in range(2):
    req = urllib.request.Request('http://127.0.0.1:3912/api/v1/administrators', data=json.dumps(body).encode(), method='POST', headers={'content-type': 'application/json', 'authorization': 'Bearer ' + A})
    t = time.time()
    r = urllib.request.urlopen(req)
    print(r.status, r.read()[:200], round(time.time() - t, 2), 's')
    for b in body['administrators'][::2]: b['grids'] = b['grids'][:1]
t = time.time(); print(len(get('/api/v1/lookup?lon=113.75&lat=23.02')['administrators']), round(time.time()-t,3))
