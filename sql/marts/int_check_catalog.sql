-- int_check_catalog: the checks every user expects (targets.md, "Checks"), each tied to the
-- target whose lead unit answers for it. A check runs in a plan year whose plan has its target.
-- The limits are plan settings (plan_settings) where the plan states them; the defaults here
-- are the policy text's numbers until the year's registry carries them:
--   09   living_cap_months 12, study_cap_months 10 (× the setting urban_dibao_yuan_per_month)
--   10a  max_yearly_yuan 15000, max_yearly_limb_yuan 18000 (肢体 or 脑瘫), max_living_yuan
--        3000, adult_age 18
--   10c  max_yearly_yuan 1000
--   11b  min_age 16, max_age 59 (on the service month)
--   13a  min_head_age 60
-- grain: one row per check.
with

catalog as (

    select * from (values
        ('09_living_cap', '09', 'person', '生活救助年度合计超过城市低保标准的12倍'),
        ('09_study_cap', '09', 'person', '子女助学年度合计超过城市低保标准的10倍'),
        ('09_medical_cap', '09', 'record', '医疗救助金额超过个人自付医疗费用'),
        ('10a_amount_cap', '10a', 'person', '儿童年度康复救助金额超过15000元(肢体或脑瘫18000元)'),
        ('10a_living_cap', '10a', 'person', '儿童年度生活费补助超过3000元'),
        ('10a_age', '10a', 'record', '救助日期时已满18周岁'),
        ('10c_yearly_cap', '10c', 'person', '年度药费补助合计超过1000元'),
        ('11b_paid_to_person', '11b', 'record', '托养补贴发放给个人(应发放给机构)'),
        ('11b_age', '11b', 'record', '服务月份时年龄不在16至59周岁'),
        ('13a_age', '13a', 'household', '户主验收时未满60周岁'),
        ('18_village_without_society', '18', 'village', '村(社区)尚无符合条件的救急难互助社'),
        ('19a_tekun_full_subsidy', '19a', 'person', '特困人员参保资助类别不是全额资助'),
        ('19b_category_mismatch', '19b', 'record', '结算人员类别与低收入人口名单不一致'),
        ('20_missing_month', '20', 'child_month', '儿童自首次发放月起至统计月有月份未发放'),
        ('overlap_10a_10b', '10a', 'person', '同一儿童同时计入康复训练救助和辅具适配救助(报告,不剔除)')
    ) as c(check_name, target_code, subject, description_zh)

),

final as (

    select
        check_name,
        target_code,
        subject,
        description_zh
    from catalog

)

select * from final
