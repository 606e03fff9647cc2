/**
 * Synthetic Chinese names (with pinyin for the English name) for communities,
 * grids and administrators. Plausible, not real: no name here refers to a real
 * community or person.
 */
import type { Rng } from './prng.ts'

const FIRST: ReadonlyArray<[string, string]> = [
  ['东', 'Dong'], ['西', 'Xi'], ['南', 'Nan'], ['北', 'Bei'], ['新', 'Xin'], ['上', 'Shang'], ['下', 'Xia'], ['大', 'Da'],
  ['小', 'Xiao'], ['金', 'Jin'], ['龙', 'Long'], ['凤', 'Feng'], ['白', 'Bai'], ['石', 'Shi'], ['沙', 'Sha'], ['塘', 'Tang'],
  ['岭', 'Ling'], ['湖', 'Hu'], ['江', 'Jiang'], ['桥', 'Qiao'], ['黄', 'Huang'], ['林', 'Lin'], ['陈', 'Chen'], ['霞', 'Xia'],
  ['富', 'Fu'], ['康', 'Kang'], ['泰', 'Tai'], ['和', 'He'], ['兴', 'Xing'], ['华', 'Hua'], ['盛', 'Sheng'], ['安', 'An'],
  ['宁', 'Ning'], ['福', 'Fu'], ['莲', 'Lian'], ['竹', 'Zhu'], ['松', 'Song'], ['梅', 'Mei'], ['鹤', 'He'], ['马', 'Ma'],
]
const SECOND: ReadonlyArray<[string, string]> = [
  ['坑', 'keng'], ['围', 'wei'], ['田', 'tian'], ['洲', 'zhou'], ['头', 'tou'], ['边', 'bian'], ['塱', 'lang'], ['涌', 'chong'],
  ['墩', 'dun'], ['岗', 'gang'], ['村', 'cun'], ['山', 'shan'], ['湾', 'wan'], ['源', 'yuan'], ['城', 'cheng'], ['平', 'ping'],
  ['阳', 'yang'], ['丰', 'feng'], ['荣', 'rong'], ['光', 'guang'], ['明', 'ming'], ['景', 'jing'], ['苑', 'yuan'], ['园', 'yuan'],
]

/** A community name unique within `taken`; urban areas are 社区 (community), rural ones 村 (village). */
export function communityName(rng: Rng, urban: boolean, taken: Set<string>): { zh: string; en: string } {
  for (let attempt = 0; ; attempt++) {
    const [a, ap] = rng.pick(FIRST)
    const [b, bp] = rng.pick(SECOND)
    const suffix = attempt > 40 ? String(attempt) : ''
    const zh = `${a}${b}${suffix}${urban ? '社区' : '村'}`
    if (taken.has(zh)) continue
    taken.add(zh)
    return { zh, en: `${ap}${bp}${suffix} ${urban ? 'Community' : 'Village'}` }
  }
}

export function gridName(community: { zh: string; en: string }, ordinal: number) {
  return { zh: `${community.zh}第${ordinal}网格`, en: `${community.en} Grid ${ordinal}` }
}

// Common surnames, most frequent first (drawn with falling weights).
const SURNAMES = '李王张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文'
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌鹏辉宇浩凯俊峰晨阳欣怡佳琪雪梅婷慧颖倩海波林燕春丹宁健亮永红'

export function personName(rng: Rng): string {
  const u = rng.next()
  const surname = SURNAMES[Math.floor(u * u * SURNAMES.length)]!
  const given = GIVEN[rng.int(GIVEN.length)]! + (rng.next() < 0.7 ? GIVEN[rng.int(GIVEN.length)]! : '')
  return surname + given
}
